# Turn a data file into a C array initializer (bytes plus a terminating 0),
# so the library carries data/catalog.json without installed data.
# Usage: cmake -DIN=file -DOUT=file.inc -P embed.cmake
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n" body "${body}")
file(WRITE "${OUT}.tmp" "/* generated from ${IN} by cmake/embed.cmake: do not edit */\n${body}0x00\n")
file(RENAME "${OUT}.tmp" "${OUT}")
