"""Postausgang (outbox): letters and Bescheide written from templates, typeset as DIN 5008
letters (PDF/A, tagged, with koffer's reply code), filed in the Akte the moment they are
released, and sent by hybrid mail, local print or in person (issue 16).

Feature packages: ``satz`` (typesetting a letter and checking it), ``vorlagen`` (templates,
letterheads, text blocks), ``briefe`` (writing, releasing, filing), ``versand`` (dispatch to
print providers, their statuses).
"""
