"""Clinical data files (YAML), each number citing a key of sources.yaml."""
