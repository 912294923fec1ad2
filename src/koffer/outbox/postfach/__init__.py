"""The citizen's mailbox as a channel of the Postausgang (``Brief.Kanal.PORTAL``,
„Bürgerpostfach“, § 37 Abs. 2a SGB X). The Postausgang lies below the Online-Dienste and
never imports them: the portal registers in ``ready()`` who can receive (``kanal``) and
what a letter made available sets in motion (the e-mail notice)."""
