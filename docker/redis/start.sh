#!/bin/sh
# Redis for compose.yaml, started from the ACL file that the redis-acl service wrote from the
# platform's settings (python -m shared.stores.redis_acl --acl-file): the default user off, the
# main user `app` (REDIS_USERNAME) and one user per feature with only its key patterns, passwords
# as SHA-256. Added here: `healthcheck`, which may only PING (the container's health probe). No
# user may run ACL commands, so the users can change only through that file.
set -eu
source=/acl/users.acl
[ -s "$source" ] || { echo "redis: $source is missing: the redis-acl service must run first" >&2; exit 1; }
acl=/tmp/users.acl
umask 077
cp "$source" "$acl"
echo "user healthcheck reset on nopass resetchannels -@all +ping" >>"$acl"
chown redis "$acl" 2>/dev/null || true
exec docker-entrypoint.sh redis-server --aclfile "$acl" --appendonly yes --dir /data --protected-mode no
