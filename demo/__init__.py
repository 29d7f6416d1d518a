"""The Montana demo network: agencies, people, clients and referrals that `connect dev` and `connect seed` load."""
