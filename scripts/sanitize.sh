#!/usr/bin/env bash
# Builds gst-p2p with AddressSanitizer + UndefinedBehaviorSanitizer into
# ./build-asan, runs the unit, integration, element and fuzz-replay suites in
# it, then sorts every sanitizer report by its stack: one with a frame of
# ours (gst/, plugins/, tests/, tools/ of this tree) fails the run; one
# without (GLib, GStreamer, libnice… allocating at init, caching types) is
# counted and listed, never suppressed. So is a leak that a library makes
# and loses by itself inside a call of ours, when it matches one of the
# library bugs listed below (LIBRARY_LEAKS, each with its evidence): it is
# counted with the third-party reports and listed by that bug; so is a
# report the sanitizer makes when it cannot check at all (SANITIZER_BLIND,
# each with its evidence), which names no stack of ours. Extra
# arguments go to meson test (e.g. a test name). Prints "sanitize: N reports
# from our code, N from third-party code" last.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/setup.sh >/dev/null || exit 1
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dfuzzers=disabled || exit 1
fi
ninja -C build-asan || exit 1

logs=build-asan/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# Reports go to files (one per process: gst-check forks one per test);
# leaks are checked at every exit. GLib's slice allocator would hide leaks.
export ASAN_OPTIONS="log_path=$root/$logs/asan:detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=30:strict_string_checks=1"
export UBSAN_OPTIONS="log_path=$root/$logs/ubsan:print_stacktrace=1:halt_on_error=0"
# A leak does not change a test's exit status: its stack decides below.
export LSAN_OPTIONS=exitcode=0
export G_SLICE=always-malloc G_DEBUG=gc-friendly
# Plugins are loaded by the sanitized test itself: the registry's scanner
# helper is not sanitized and cannot load our sanitized plugin.
export GST_REGISTRY_FORK=no
# check's own per-test timeouts, stretched like meson's below.
export CK_TIMEOUT_MULTIPLIER=5

# Sanitized code runs 2-5x slower (the scheduler simulation 4x): longer
# timeouts. The fuzz suite replays the parsers' corpora.
meson test -C build-asan --suite unit --suite integration --suite elements \
  --suite fuzz --timeout-multiplier 5 --num-processes 2 --print-errorlogs "$@"
tests_status=$?

python3 - "$logs" "$root" <<'PY'
import os, re, sys
logs, root = sys.argv[1], sys.argv[2]
# A frame of ours: a source file of this tree. The engine thread's loop
# runner is not one: a report whose only frame of ours is it comes from a
# library's own event source (GIO accepting a socket, say), not from code of
# ours, which would be on the stack above the loop.
ours = re.compile(r"(^|/)(gst/p2p|gst/tracker|plugins/p2p|tests|tools)/[^ ]*\.(cpp|h|c)")
loop_runner = re.compile(r"p2p::EngineThread::thread_main")
# Leaks that a library allocates and loses by itself while serving a call of
# ours that is correct. Each entry: a name, a pattern that the library
# frames between the allocation and our first frame must match (joined with
# " < ", innermost first), and the evidence. A report matching one is counted
# as third-party under that name; nothing else is excused.
LIBRARY_LEAKS = [
    # libsoup 3.2.3 soup-listener.c listen_watch () passes the GSocket that
    # g_socket_accept () returned to soup_server_connection_new (), which
    # takes a reference of its own, and never drops the first one: every
    # accepted socket leaks (the GSocket is a third-party direct leak of its
    # own, allocated under g_socket_accept). Fixed upstream in 3.4.0 by
    # commit b545d5f0 "soup-listener: Plug a leak". Stealing a connection
    # (tests/common/scripted-server.cpp send_half ()) makes libsoup cache the
    # peer's address in that GSocket, so the address leaks with it.
    ("libsoup 3.2 leaks every accepted GSocket (fixed in 3.4.0)",
     re.compile(r"g_socket_get_remote_address < "
                r"soup_server_message_steal_connection$")),
    # GLib 2.74 g_object_unref () freezes the notify queue of an object
    # before dispose (): g_object_notify_queue_freeze () attaches a
    # GObjectNotifyQueue (16 bytes) to the object's qdata (a 32-byte GData
    # array). Unreffing a pipeline that ran hlsdemux2 (test-hls-writer) or
    # playbin3 (test-http-path), GStreamer 1.22 frees a list of structures,
    # and an object held in one of them goes away without its qdata being
    # released: the GData array is a direct leak (nothing points to it any
    # more). The pipeline and its elements are freed; the allocation and the
    # loss are both inside GLib/GStreamer.
    ("GLib/GStreamer lose an object's notify queue freeing a structure",
     re.compile(r"^g_object_unref < g_value_unset < gst_structure_free < "
                r"g_list_foreach < g_list_free_full < g_object_unref$")),
    # When a test's registry file is out of date (the plugin was rebuilt),
    # gst_check_init () rescans the plugins in the test's own process
    # (GST_REGISTRY_FORK=no below): every plugin is loaded and its element
    # types and classes are registered, which GLib keeps, by design, for the
    # life of the process. The only frame of ours is the test's main ()
    # calling gst_check_init (); our own plugin's init has frames of ours
    # above it and does not match.
    ("GStreamer's registry scan in gst_check_init () (types kept by design)",
     re.compile(r"gst_update_registry( < [^<]+)* < gst_check_init$")),
]
# Reports the sanitizer makes when it cannot check, not about our code. Each
# entry: a name, a pattern the whole report must match, and the evidence.
SANITIZER_BLIND = [
    # UBSan's vptr check reads the object's vtable only after testing that
    # the memory is readable, by writing it to a pipe () it opens for the
    # purpose. With the descriptor table full, pipe () fails, the memory
    # counts as unreadable, and a sound call is reported as "invalid vptr"
    # with "<memory cannot be printed>" (and no stack: the symbolizer needs
    # descriptors too). test_full_table_refuses_without_spinning
    # (test-tracker-fd-tables) fills the tracker worker's table on purpose.
    # Reproduced apart: a virtual call across two translation units built
    # with -fsanitize=undefined is reported exactly so once the process has
    # opened descriptors up to RLIMIT_NOFILE, and not otherwise. A real bad
    # vptr under ASan is a heap-use-after-free report first, or a crash.
    ("UBSan vptr check with the descriptor table full (pipe () fails)",
     re.compile(r"runtime error: member call on address 0x[0-9a-f]+ which "
                r"does not point to an object of type '[^']+'\n"
                r"0x[0-9a-f]+: note: object has invalid vptr\n"
                r"<memory cannot be printed>")),
]
allocator = re.compile(r"__interceptor_|operator new|\b(g_malloc0?|g_realloc|"
                       r"g_try_malloc0?|g_slice_alloc0?|g_strdup|malloc|calloc|"
                       r"realloc)\b")


def function (frame):
    """The function name of a symbolized frame, without its arguments."""
    name = frame.split(" (")[0].split(" ../")[0].split(" /")[0].strip()
    return re.sub(r"\(.*$", "", name)


def library_leak (frames):
    """The LIBRARY_LEAKS name a leak's stack matches, or None."""
    first_ours = next((i for i, f in enumerate(frames) if ours.search(f)),
                      None)
    if first_ours is None:
        return None
    between = [function(f) for f in frames[:first_ours]
               if not allocator.search(f)]
    chain = " < ".join(between)
    for name, pattern in LIBRARY_LEAKS:
        if pattern.search(chain):
            return name
    return None


reports = []  # (first line, ours?, log file, frames, library leak or None)
# The tests' own output too: a process started with an environment of its
# own writes its reports to stderr, which meson keeps in its test log.
sources = [os.path.join(logs, name) for name in sorted(os.listdir(logs))]
sources.append(os.path.join(os.path.dirname(logs), "meson-logs", "testlog.txt"))
for path in sources:
    if not os.path.exists(path):
        continue
    name = os.path.relpath(path, os.path.dirname(logs))
    text = open(path, errors="replace").read()
    # One report per "ERROR:"/"runtime error:"/leak block.
    blocks = re.split(r"\n(?=(?:Direct|Indirect) leak of |==\d+==ERROR: |\S+:\d+:\d+: runtime error: )", text)
    for block in blocks:
        head = block.strip().splitlines()[0] if block.strip() else ""
        if not re.match(r"(Direct|Indirect) leak of |==\d+==ERROR: |\S+:\d+:\d+: runtime error: ", head):
            continue
        frames = re.findall(r"#\d+ 0x[0-9a-f]+ in (.*)", block)
        if "LeakSanitizer: detected memory leaks" in head:
            continue  # the heading of the leak reports that follow
        is_ours = (any(ours.search(f) and not loop_runner.search(f)
                       for f in frames)
                   or bool(ours.search(head.split(" runtime error")[0])))
        known = None
        if is_ours and re.match(r"(Direct|Indirect) leak of ", head):
            known = library_leak(frames)
            is_ours = known is None
        if is_ours and not frames:
            known = next((name for name, pattern in SANITIZER_BLIND
                          if pattern.search(block)), None)
            is_ours = known is None
        reports.append((head, is_ours, name, frames, known))
our = [r for r in reports if r[1]]
theirs = [r for r in reports if not r[1]]
for head, _, name, frames, _ in our:
    print(f"OURS  {name}: {head}")
    for f in frames[:12]:
        print(f"        {f}")
seen = {}
for head, _, name, frames, known in theirs:
    callers = [f for f in frames if not allocator.search(f)]
    if known and any(known == name for name, _ in SANITIZER_BLIND):
        key = "sanitizer could not check: " + known
    elif known:
        key = "library bug under a call of ours: " + known
    else:
        key = (re.sub(r"\d+ byte\(s\)|\d+ object\(s\)", "N", head) + " | "
               + (callers[0] if callers else ""))
    seen[key] = seen.get(key, 0) + 1
if seen:
    print("third-party reports (no frame of ours), by kind and first caller:")
    ranked = sorted(seen.items(), key=lambda kv: -kv[1])
    shown = ranked[:15] + [kv for kv in ranked[15:]
                           if kv[0].startswith(("library bug",
                                                "sanitizer could not"))]
    for key, count in shown:
        print(f"  {count:5d}  {key[:160]}")
print(f"sanitize: {len(our)} reports from our code, {len(theirs)} from third-party code")
sys.exit(1 if our else 0)
PY
reports_status=$?
[ $tests_status -eq 0 ] && [ $reports_status -eq 0 ]
