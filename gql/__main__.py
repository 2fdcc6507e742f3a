from gql.cli import main

main()
