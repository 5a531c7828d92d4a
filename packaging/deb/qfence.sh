#!/bin/sh
# /usr/bin/qfence, from the Debian package: runs the installed jar with the JVM options bin/qfence uses (see there
# for why: a short-lived command starts faster with the client compiler only, and the heap starts small and grows).
# QFENCE_JAVA_OPTS replaces them; the packaged qfence.service sets it for the long-running daemon.
set -eu
opts=${QFENCE_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx1g}
# shellcheck disable=SC2086 # the options are a list of words
exec java $opts -jar /usr/share/qfence/qfence.jar "$@"
