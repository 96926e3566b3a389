"""Documents with facts no model can know, shared by the chat tests and the chat benchmark."""

from __future__ import annotations

ZORBLANDIA = (
    "Zorblandia is a small island nation in the Veltic Sea, known for its amber trade. "
    "The capital of Zorblandia is Quexton, a port city on the northern coast. "
    "Quexton was founded in 1642 by river traders who shipped amber to the mainland. "
    "About 86,000 people live in Quexton today.\n\n"
    "The national dish of Zorblandia is smoked eel with juniper berries. "
    "It is served at the midsummer festival, when the whole island gathers on the beaches. "
    "Zorblandia's currency is the kron, divided into 100 pellets. "
    "The island's highest mountain is Mount Ossery, which rises 2,113 metres above the sea."
)

ORBITS = (
    "A geostationary orbit lies 35,786 kilometres above the equator. "
    "A satellite there circles the Earth once per sidereal day, so it appears fixed in the sky. "
    "Low Earth orbit spans altitudes up to 2,000 kilometres, where the International Space "
    "Station flies at about 400 kilometres. "
    "Orbital decay in low orbits is caused by drag from the thin upper atmosphere."
)
