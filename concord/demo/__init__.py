"""The demo centre (`concord demo`): a fictional scenario that shows every feature working.
`scenario` loads it (people, channels, messages, tracks) and runs each feature's part in turn:
`coordination` (incidents, RFIs, releases), `intel` (STIX objects and correlations), `operations`
(operations, protected sites and activities, and their conflicts). The demo drives the centre from
outside, as the CLI does: nothing else imports it."""
