"""Our custom Rasa input channels.

Importing this package (Rasa does, for the channels in credentials.yml) also applies the
measured performance fixes in `rasa_fixes`, so every server that talks to users has them.
"""

import rasa_fixes  # noqa: F401
