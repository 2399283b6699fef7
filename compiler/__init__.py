"""The workflow compiler: front ends build the IR, checks validate it, emitters write files."""
