from lml.cli import main

main()
