"""The local voice loop: microphone (or WAV files) -> speech to text -> the coach -> speech.

Fully offline, for people stretching at home with their hands busy. It talks to the coach over
our socket.io channel (connectors/socketio.py), so the paced session's pushed cues (halfway,
switch sides, next step) are spoken as they arrive.

- `audio`: reading WAV files and the microphone, the silence check, comfort noise.
- `pronounce`: pronunciations for every word we let the recogniser hear.
- `grammars`: what the recogniser may hear, per dialogue state, built from data/nlu.
- `recogniser`: pocketsphinx with one search per grammar and a confidence check.
- `listening`: which grammar to use, from the last bot payload (docs/api.md).
- `confirm`: which heard answers are read back before the coach acts on them.
- `speaker`: espeak-ng speech, played or written to WAV files.
- `coach_client`: the socket.io connection to the coach.
- `loop`: the conversation itself; `python -m voice` runs it.
"""
