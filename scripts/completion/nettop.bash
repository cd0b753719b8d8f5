# bash completion for nettop: source it, or install as /usr/share/bash-completion/completions/nettop
_nettop() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; cword=$COMP_CWORD; }
  local commands="snapshot batch serve"
  local common="--netns --refresh --theme --config --sockets --snapshot-dir --help --version"
  case "$prev" in
    --netns) COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")); return ;;
    --theme) COMPREPLY=($(compgen -W "default mono" -- "$cur")); return ;;
    --sockets) COMPREPLY=($(compgen -W "auto netlink proc" -- "$cur")); return ;;
    --config|-o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --snapshot-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --refresh|--duration|-d|--delay|-n|--count|--metrics) return ;;
  esac
  local mode=""
  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in snapshot|batch|serve) mode=$w ;; esac
  done
  case "$mode" in
    snapshot) COMPREPLY=($(compgen -W "--json --text --duration -o --output $common" -- "$cur")) ;;
    batch) COMPREPLY=($(compgen -W "-n --count -d --delay --json $common" -- "$cur")) ;;
    serve) COMPREPLY=($(compgen -W "--metrics $common" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$commands $common" -- "$cur")) ;;
  esac
}
complete -F _nettop nettop
