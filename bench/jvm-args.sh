#!/bin/sh
# jvm-args.sh: stands in for java to show the JVM profile a launcher gives a daemon, without starting one:
#   JAVA=bench/jvm-args.sh bin/mpgw server --config FILE
# prints one line, MALLOC_ARENA_MAX (or "unset") and the JVM's options up to the class path.
printf 'MALLOC_ARENA_MAX=%s' "${MALLOC_ARENA_MAX-unset}"
for a in "$@"; do
  [ "$a" = -cp ] && break
  printf ' %s' "$a"
done
printf '\n'
