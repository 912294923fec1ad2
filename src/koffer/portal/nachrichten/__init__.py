"""Messages both ways about a Vorgang (issue 19, item 4): the citizen writes from the
portal, the message is filed in the Vorgang through the Posteingang; the caseworker
answers from the Vorgang's page, the answer is filed as an outgoing document and shows in
the citizen's mailbox with an e-mail notice."""
