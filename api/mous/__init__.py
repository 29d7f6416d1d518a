"""The user MOU and each program's agency MOU (guide Part 1): reading and signing."""
