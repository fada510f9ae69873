#!/usr/bin/zsh -f
# What zsh's completion system offers for a command line, as a user pressing Tab would get it:
#   zsh -f zsh-complete.zsh COMPLETIONS_DIR DUMP_FILE 'pcp-harden verify --f'
# prints the matches, one a line, in the order completion adds them (each once). An interactive
# zsh runs in a pseudo-terminal (zsh/zpty) with compinit and COMPLETIONS_DIR first in $fpath; its
# compadd is wrapped to print each match it is given (compadd -A), and Tab runs complete-word.
# DUMP_FILE is compinit's dump (-d): the first call writes it, later calls start fast from it.
# Exits 2 when no completion ran within 20 seconds.
zmodload zsh/zpty || exit 3
local dir=$1 dump=$2 typed=$3
local rc=$(mktemp)
cat >$rc <<RC
PS1='' PROMPT='' RPROMPT=''
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u -d ${(q)dump}
unsetopt zle_bracketed_paste 2>/dev/null
bindkey '^I' complete-word
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compprefuncs=(completion-begins)
comppostfuncs=(completion-ends)
completion-begins() { print -r -- \$'\x01BEGIN' }
completion-ends() { print -r -- \$'\x01END'; exit }
compadd() {
  # A call that only asks for matches (-O, -A, -D) adds none: pass it through.
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "\$@"; return; fi
  local -a __hits
  builtin compadd -A __hits "\$@"
  (( \$#__hits )) && print -rl -- \$'\x01HIT'\${^__hits}
  builtin compadd "\$@"
}
print -r -- \$'\x01READY'
RC
zpty -b z "zsh -f -i"
zpty -w z "source ${(q)rc}"
local line out=''
integer deadline=$(( SECONDS + 20 )) ready=0 done=0
while (( SECONDS < deadline )); do
  if ! zpty -r -t z line; then sleep 0.02; continue; fi
  if (( ! ready )); then
    [[ $line == *$'\x01READY'* ]] && { ready=1; zpty -w -n z "$typed"$'\t' }
    continue
  fi
  out+=$line
  [[ $out == *$'\x01END'* ]] && { done=1; break }
done
zpty -d z
rm -f $rc
(( done )) || { print -u2 -r -- "no completion ran for: $typed"; exit 2 }
local -aU hits=(${${(M)${(f)out//$'\r'/}:#*$'\x01HIT'*}#*$'\x01HIT'})
(( $#hits )) && print -rl -- $hits
exit 0
