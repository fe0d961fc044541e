"""FHIR R4 export of a treatment plan: an export view of the same reads the plan detail uses, never a second model.

`read.plan_export` loads what a plan's export needs (a fixed number of queries, however many goals); the
mapping modules turn it into resources (`people`, `conditions`, `careplan`, `goals`, `observations`), and
`bundle` assembles them. The API views are `treatment.api.fhir`; the README's "FHIR export" section has the
mapping table and the profiles claimed.
"""
