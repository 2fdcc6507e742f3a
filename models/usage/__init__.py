"""Licenses that follow use (docs/rules.md section 12): uses of licenses (sign-ins and reported uses), idle licenses,
reclaim policies and the billing clock's reclaim step, dormant users granted again at their next sign-in."""
