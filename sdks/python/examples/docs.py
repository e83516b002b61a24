import time

from lattestream import LatteStreamServer

server = LatteStreamServer('lsk_your_private_key')

# Trigger event
server.trigger('chat-room-1', 'new-message', {
    'user': 'Alice',
    'message': 'Hello!',
    'timestamp': int(time.time() * 1000)
})

# Trigger to multiple channels
server.trigger(['channel-1', 'channel-2'], 'broadcast', {
    'announcement': 'Server maintenance in 5 minutes'
})

# Authorize channel
auth = server.authorize_channel('123.456', 'private-user-123')
