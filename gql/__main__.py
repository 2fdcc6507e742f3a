from seatwise.gql.cli import main

main()
