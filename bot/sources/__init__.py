"""Sources: where articles come from (RSS/Atom feeds, seed folders, web pages), fetched safely."""
