# Split a Markdown document into its fenced blocks, for the docs tests.
#   awk -v rel=docs/x.md -v out=PREFIX -v man=MANIFEST -f doc_blocks.awk docs/x.md
# Writes each block's text to PREFIX.N and appends one manifest row per block:
#   rel <TAB> block number (1-based, every fenced block counts) <TAB> line of the opening
#   fence <TAB> tag <TAB> file holding the block's text
# Exits 1 (and says where) when a block is never closed.
/^```/ {
  if (!open) {
    open = 1; n++; start = NR; tag = substr($0, 4); gsub(/[ \t]+$/, "", tag)
    file = out "." n; printf "" > file; next
  }
  if ($0 ~ /^```[ \t]*$/) {
    open = 0; close(file)
    printf "%s\t%d\t%d\t%s\t%s\n", rel, n, start, tag, file >> man; next
  }
}
open { print >> file }
END { if (open) { printf "%s: block %d (line %d) is never closed\n", rel, n, start > "/dev/stderr"; exit 1 } }
