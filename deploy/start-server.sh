#!/bin/sh
# Runs before every learner's or trainer's Jupyter server, as its owner, then starts the server
# (the command given as arguments, e.g. jupyterhub-singleuser). Used by the single server
# (installed as /opt/coursekit/bin/start-server) and by the image (its entrypoint).
set -eu

COURSE_SOURCE="${COURSEKIT_COURSE_SOURCE:-/opt/coursekit/course}"

# 1. A name for this user id. On Kubernetes every person's server runs under their own numeric
#    user id, which the image's /etc/passwd does not know; nbgrader asks the system for the
#    user's name when it submits. The image lets the group "users" append to /etc/passwd.
if ! whoami >/dev/null 2>&1; then
    if [ -w /etc/passwd ]; then
        echo "${JUPYTERHUB_USER:-learner}:x:$(id -u):$(id -g):,,,:${HOME}:/bin/bash" >> /etc/passwd
    else
        echo "start-server: no name for user id $(id -u) and /etc/passwd is read-only;" \
             "nbgrader cannot submit from this server" >&2
    fi
fi

# 2. The home is private: other learners cannot read it.
chmod 700 "$HOME" 2>/dev/null || true   # on Kubernetes the home is a volume of its own, owned by the cluster

# 3. The person's own copy of the course (lessons, exercises, start page) in ~/course. Files a
#    newer course adds are copied in; a file already there, edited or not, is kept as it is.
#    (A loop rather than `cp -n`, whose exit status differs between coreutils versions.) A file
#    that cannot be copied is reported and the server starts all the same.
mkdir -p "$HOME/course"
( cd "$COURSE_SOURCE" && find . -type d | while IFS= read -r d; do
      [ -d "$HOME/course/$d" ] || mkdir -p "$HOME/course/$d" || echo "start-server: could not create ~/course/$d" >&2
  done
  find . -type f | while IFS= read -r f; do
      [ -e "$HOME/course/$f" ] || cp "$f" "$HOME/course/$f" || echo "start-server: could not copy ~/course/$f" >&2
  done ) || true

exec "$@"
