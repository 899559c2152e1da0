#!/usr/bin/env bash
# Builds libmpgw-jni-<arch>.so from source with gcc against the running JDK's JNI headers.
# Usage: build.sh OUTPUT_DIR JAVA_HOME
set -euo pipefail
out=$1
jdk=$2
src=$(cd "$(dirname "$0")" && pwd)
arch=$(uname -m)   # x86_64, aarch64: the names NativeLibrary looks for
[ -f "$jdk/include/jni.h" ] || { echo "build.sh: no JNI headers under $jdk/include (a JDK, not a JRE, is needed)" >&2; exit 1; }
mkdir -p "$out"
gcc -shared -fPIC -O2 -std=gnu11 -Wall -Wextra -Werror -fvisibility=hidden \
    -I"$jdk/include" -I"$jdk/include/linux" \
    -o "$out/libmpgw-jni-$arch.so" "$src/mpgw_jni.c"
echo "built $out/libmpgw-jni-$arch.so"
