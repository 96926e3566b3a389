"""Error classes' contracts that every endpoint relies on."""

from shared.errors import ServiceUnavailableError
from shared.resilience import DependencyOpenError


def test_every_503_tells_the_client_when_to_retry():
    # The soak found a 503 (the speech rate limit with Redis down) without Retry-After.
    assert ServiceUnavailableError("down").headers["Retry-After"] == "5"


def test_a_retry_after_given_by_the_raiser_is_kept():
    assert ServiceUnavailableError("down", headers={"retry-after": "9"}).headers == {
        "retry-after": "9"
    }
    assert DependencyOpenError("redis", 2.2).headers["Retry-After"] == "3"
