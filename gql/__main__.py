from seatwise.gql.cli.main import main

main()
