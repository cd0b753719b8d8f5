# NetTop's native build (NativeAOT), sourced by scripts/nettop, scripts/publish and scripts/bench.
#
# NetTop runs as one natively compiled binary: no JIT at run time, and none of the CoreCLR runtime's own timers
# (its finalizer thread wakes every 10 s on Linux whatever the program does). It needs a C toolchain to link
# (gcc or clang, with binutils); without one the scripts fall back to the JIT build and say so.
# NETTOP_BUILD=jit forces the JIT build (to compare the two).

# native_rid: the .NET runtime identifier of this machine, or fails for an architecture NativeAOT lacks here.
native_rid() {
  case "$(uname -m)" in
    x86_64) echo linux-x64 ;;
    aarch64 | arm64) echo linux-arm64 ;;
    *) return 1 ;;
  esac
}

# native_why_not: empty when this machine can build natively, else why not (one line, with the fix).
native_why_not() {
  if [[ ${NETTOP_BUILD:-} == jit ]]; then
    echo "NETTOP_BUILD=jit"
  elif ! native_rid >/dev/null; then
    echo "NativeAOT does not target $(uname -m)"
  elif ! command -v gcc >/dev/null 2>&1 && ! command -v clang >/dev/null 2>&1; then
    echo "no C toolchain to link it (apt-get install -y gcc)"
  elif ! command -v objcopy >/dev/null 2>&1; then
    echo "no objcopy to strip it (apt-get install -y binutils)"
  fi
}

# native_publish PROJECT OUTDIR [dotnet publish arguments...]: the native build of PROJECT into OUTDIR.
native_publish() {
  local project=$1 out=$2 rid
  shift 2
  rid=$(native_rid) || return 1
  dotnet publish "$project" -c Release -r "$rid" -p:PublishAot=true -o "$out" -nologo -v quiet -clp:ErrorsOnly "$@"
}
