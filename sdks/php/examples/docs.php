<?php
require 'vendor/autoload.php';

use LatteStream\LatteStreamServer;

$server = new LatteStreamServer('lsk_your_private_key');

// Trigger event
$server->trigger('chat-room-1', 'new-message', [
    'user' => 'Alice',
    'message' => 'Hello!',
    'timestamp' => time() * 1000
]);

// Authorize channel
$auth = $server->authorizeChannel('123.456', 'private-user-123');
