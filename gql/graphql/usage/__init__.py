"""Licenses that follow use: idleLicenses, recordLicenseUses, setReclaimPolicy (docs/rules.md section 12)."""
