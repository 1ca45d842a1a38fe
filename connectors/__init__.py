"""Our custom Rasa input channels.

The channel modules (rest.py, socketio.py; Rasa imports them for the channels in
credentials.yml) apply the measured performance fixes in `rasa_fixes`, so every server that
talks to users has them. The package itself imports nothing from Rasa: the voice loop uses
`connectors.render` without loading Rasa and TensorFlow (seconds of start-up, hundreds of MB).
"""
