"""The citizen's mailbox (issue 19, item 4): letters of the Postausgang delivered on its
channel „Bürgerpostfach“, the consent to electronic delivery, the e-mail notice, and the
first retrieval as the receipt (§ 37 Abs. 2a SGB X, ``outbox.postfach``)."""
