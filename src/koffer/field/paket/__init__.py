"""What a checkout carries: the package built in the office for a Koffer's open checkouts
(``selectors.bauen``), served to the Koffer (``api``), imported there with the base
version of every row (``services.einspielen``), its blobs fetched resumably
(``abholung``), and wiped again when the office revokes the Koffer."""
