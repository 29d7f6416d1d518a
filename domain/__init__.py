"""Pure domain rules of CONNECT: standard library only, "now" is always passed in."""
