_daytona_cli_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _DAYTONA_CLI_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _daytona_cli_completion daytona-cli
