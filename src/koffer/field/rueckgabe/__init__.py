"""The Koffer's side of the sync back: what changed here since the pull (``sammeln``) and
the push to the office, resumable after a crash (``abgleichen``)."""
