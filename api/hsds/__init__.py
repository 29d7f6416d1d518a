"""CONNECT's directory published as Open Referral HSDS 3.0 under /hsds (see docs/hsds.md)."""
