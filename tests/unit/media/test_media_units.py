"""Pure parts of the media package: type sniffing, multipart, names, PDFs, WAV output."""

from __future__ import annotations

import io
import wave

import pytest

from shared.errors import BadRequestError, UnsupportedMediaTypeError
from shared.http.downloads import content_disposition
from shared.media.multipart import parse_form
from shared.media.pdf import PdfUnreadableError, iter_page_texts
from shared.media.service import clean_filename
from shared.media.sniff import is_allowed, sniff_media_type
from shared.speech.synthesizer import SpeechAudio
from tests.utils.pdfs import broken_pdf, encrypted_pdf, make_pdf


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x00", "audio/mpeg"),
        (b"OggS\x00", "audio/ogg"),
        (b"fLaC\x00", "audio/flac"),
        (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        ("plain words, naïve".encode(), "text/plain"),
        (b"MZ\x90\x00\x03", "application/octet-stream"),
        (b"PK\x03\x04", "application/octet-stream"),
    ],
)
def test_the_type_comes_from_the_bytes(head: bytes, expected: str):
    assert sniff_media_type(head + b"\x00" * 8 if expected != "text/plain" else head) == expected


def test_only_allow_listed_types_are_stored():
    assert is_allowed("application/pdf")
    assert is_allowed("audio/wav")
    assert not is_allowed("application/octet-stream")


def test_a_text_probe_cut_inside_a_multibyte_character_is_still_text():
    data = "é".encode() * 3000  # the 4096-byte probe ends in the middle of a character
    assert sniff_media_type(data) == "text/plain"


def multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--XyZ\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + b"--XyZ--\r\n"


def test_the_form_parts_are_read_by_name():
    body = multipart(("file", "a.pdf", b"%PDF-1.4 \r\n--XyZnot a boundary"), ("name", None, b"Doc"))
    parts = parse_form(body, "multipart/form-data; boundary=XyZ")
    assert parts["file"].filename == "a.pdf"
    assert parts["file"].data() == b"%PDF-1.4 \r\n--XyZnot a boundary"
    assert parts["name"].text() == "Doc"
    assert parts["name"].filename is None


def test_a_body_that_is_not_multipart_is_refused():
    with pytest.raises(UnsupportedMediaTypeError):
        parse_form(b"{}", "application/json")
    with pytest.raises(BadRequestError):
        parse_form(b"garbage", "multipart/form-data")


def test_names_are_plain_and_downloads_say_them_safely():
    assert clean_filename("../../etc/pass\x00wd") == "passwd"
    assert clean_filename("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert clean_filename("") == "upload"
    assert content_disposition('a "b".pdf') == (
        "attachment; filename=\"a _b_.pdf\"; filename*=UTF-8''a%20%22b%22.pdf"
    )


def test_pages_are_read_one_at_a_time_within_the_range():
    pages = list(iter_page_texts(io.BytesIO(make_pdf(4, "Page {n} here.")), 2, 3))
    assert [n for n, _ in pages] == [2, 3]
    assert pages[0][1].startswith("Page 2 here.")


@pytest.mark.parametrize(
    ("data", "reason"), [(encrypted_pdf(), "encrypted"), (broken_pdf(), "read")]
)
def test_unreadable_pdfs_say_why(data: bytes, reason: str):
    with pytest.raises(PdfUnreadableError, match=reason):
        list(iter_page_texts(io.BytesIO(data)))


def test_speech_audio_becomes_a_wav_file():
    audio = SpeechAudio(pcm=b"\x01\x00" * 22050, sample_rate=22050)
    with wave.open(io.BytesIO(audio.wav())) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        assert wav.getnframes() == 22050
    assert audio.seconds == 1.0
