# expect: 'job' stanza not found
# A file with only comments.
