_daytona_cli_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _DAYTONA_CLI_COMPLETE=complete_bash $1 ) )
    # File names only after an option that takes a file; elsewhere nothing is nothing.
    local previous="${COMP_WORDS[COMP_CWORD-1]}"
    if [ ${#COMPREPLY[@]} -eq 0 ] && { [ "$previous" = "--env-file" ] || [ "$previous" = "--dockerfile" ]; }; then
        compopt -o default
    fi
    return 0
}

complete -F _daytona_cli_completion daytona-cli
