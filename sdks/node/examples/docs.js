const { LatteStreamServer } = require('@lattestream/server');
const server = new LatteStreamServer('lsk_your_private_key');

async function main() {
  // Trigger event
  await server.trigger('chat-room-1', 'new-message', {
    user: 'Alice',
    message: 'Hello!',
    timestamp: Date.now(),
  });

  // Trigger to multiple channels
  await server.trigger(['channel-1', 'channel-2'], 'broadcast', {
    announcement: 'Server maintenance in 5 minutes',
  });

  // Batch events
  await server.batchTrigger([
    { channel: 'user-123', event: 'notification', data: { type: 'message' } },
    { channel: 'user-456', event: 'notification', data: { type: 'mention' } },
  ]);

  // Authorize channel
  const auth = server.authorizeChannel('123.456', 'private-user-123');

  // Authorize presence channel
  const presenceAuth = server.authorizeChannel('123.456', 'presence-room-1', {
    user_id: 'user123',
    user_info: { name: 'Alice', avatar: 'https://...' },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
