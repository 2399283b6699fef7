"""The one table of jobsub_submit options and the parser of option words: every form of an
option (flag, dagnabbit word, YAML key, IR field) comes from `table`."""
