#!/bin/sh
# Redis for compose.yaml: the default user is off; `app` (the platform, REDIS_USERNAME=app) may use
# every key and every command but the administrative and dangerous ones; `healthcheck` may only
# PING. Passwords are stored as SHA-256 (ACL "#<hash>"), never in the file in clear.
set -eu
: "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
hash=$(printf '%s' "$REDIS_PASSWORD" | sha256sum | cut -d' ' -f1)
acl=/tmp/users.acl
umask 077
cat >"$acl" <<ACL
user default off
user app on #$hash ~* &* +@all -@admin -@dangerous
user healthcheck on nopass -@all +ping
ACL
chown redis "$acl" 2>/dev/null || true
exec docker-entrypoint.sh redis-server --aclfile "$acl" --appendonly yes --dir /data --protected-mode no
