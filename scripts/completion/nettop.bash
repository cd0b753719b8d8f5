# bash completion for nettop: source it, or install as /usr/share/bash-completion/completions/nettop
_nettop() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; cword=$COMP_CWORD; }
  local commands="snapshot batch serve record replay"
  local common="--netns --refresh --theme --config --sockets --snapshot-dir --help --version"
  local themes="default dark light high-contrast mono"
  case "$prev" in
    --netns) COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")); return ;;
    --theme) COMPREPLY=($(compgen -W "$themes" -- "$cur")); return ;;
    --sockets) COMPREPLY=($(compgen -W "auto netlink proc" -- "$cur")); return ;;
    --config|-o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --snapshot-dir|record|replay) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --refresh|--duration|-d|--delay|-n|--count|--metrics|--speed) return ;;
  esac
  local mode=""
  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in snapshot|batch|serve|record|replay) mode=$w ;; esac
  done
  case "$mode" in
    snapshot) COMPREPLY=($(compgen -W "--json --text --duration -o --output --demo $common" -- "$cur")) ;;
    batch) COMPREPLY=($(compgen -W "-n --count -d --delay --json --demo $common" -- "$cur")) ;;
    serve) COMPREPLY=($(compgen -W "--metrics $common" -- "$cur")) ;;
    record) COMPREPLY=($(compgen -W "--duration --netns --refresh --sockets --config --help" -- "$cur")) ;;
    replay) COMPREPLY=($(compgen -W "--speed --batch --snapshot --json --text -n --count -o --output --theme --config --help" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$commands $common --demo --cleanup" -- "$cur")) ;;
  esac
}
complete -F _nettop nettop
