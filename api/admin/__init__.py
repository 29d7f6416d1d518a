"""Administration: agencies, programs and their referral forms, people and their roles."""
