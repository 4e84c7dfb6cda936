"""Two-factor sign-in: TOTP devices and recovery codes (django-otp), enforced by policy.

`policy` says who must have a second factor, `middleware` keeps a signed-in user without a
verified one on the sign-in step or enrolment, `step_up` guards the dangerous admin pages,
`devices` enrols and removes devices, `verification` checks a code against the lockout.
"""
