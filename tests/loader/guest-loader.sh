#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Inside a test VM (tests/loader/vm-loader.sh): guest-loader.sh BUILD_DIR CACHE
# The loader finds the module the host built for this kernel in CACHE, loads
# it, reloads it over itself (an older rtsec is unloaded first), and rtsec
# captures a command's events through it.
build=$1
cache=$2
loader=$build/bin/rtsec-driver-loader
failed=0
check() { # NAME CONDITION-STATUS DETAIL
	if [ "$2" -eq 0 ]; then echo "RESULT loader_$1 PASS $3"; else echo "RESULT loader_$1 FAIL $3"; failed=1; fi
}

"$loader" --print-env --cache-dir "$cache" >"$TMPDIR/env.txt" 2>&1
rc=$?
cat "$TMPDIR/env.txt"
grep -q "^kernel release: *$(uname -r)\$" "$TMPDIR/env.txt" && grep -q '^modules: *yes' "$TMPDIR/env.txt" &&
	grep -q "(cached)" "$TMPDIR/env.txt"
check print_env $((rc + $?)) "kernel $(uname -r), modules yes, artifact cached"

"$loader" kmod --load --cache-dir "$cache" 2>"$TMPDIR/load.err"
rc=$?
cat "$TMPDIR/load.err"
[ $rc -eq 0 ] && grep -q "cached:" "$TMPDIR/load.err" && [ -e /dev/rtsec ]
check load $? "$(grep loaded "$TMPDIR/load.err")"

# Again: the loaded rtsec is unloaded first, then loaded anew.
"$loader" kmod --load --cache-dir "$cache" 2>"$TMPDIR/reload.err"
rc=$?
[ $rc -eq 0 ] && grep -q "unloaded the rtsec module" "$TMPDIR/reload.err"
check reload $? "$(tr '\n' ' ' <"$TMPDIR/reload.err")"

"$build/bin/rtsec" trace --json --driver kmod --event execve -- /bin/echo loader-capture >"$TMPDIR/trace.out" 2>&1
rc=$?
grep -E '"type": ?"execve"' "$TMPDIR/trace.out" | grep -q '/bin/echo'
check capture $((rc + $?)) "$(grep -c '"type"' "$TMPDIR/trace.out") events, the execve of /bin/echo among them"
[ $failed -eq 0 ] || tail -n 20 "$TMPDIR/trace.out"

rmmod rtsec
check unload $? "rmmod rtsec"
exit $failed
