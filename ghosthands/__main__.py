from ghosthands.cli import main

main()
