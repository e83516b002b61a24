package main

import (
	"context"
	"log"
	"time"

	"github.com/lattestream/lattestream-go"
)

func main() {
	ctx := context.Background()
	server := lattestream.NewServer("lsk_your_private_key")

	// Trigger event
	if _, err := server.Trigger(ctx, []string{"chat-room-1"}, "new-message", map[string]any{
		"user":      "Alice",
		"message":   "Hello!",
		"timestamp": time.Now().UnixMilli(),
	}); err != nil {
		log.Fatal(err)
	}

	// Trigger to multiple channels
	if _, err := server.Trigger(ctx, []string{"channel-1", "channel-2"}, "broadcast", map[string]any{
		"announcement": "Server maintenance in 5 minutes",
	}); err != nil {
		log.Fatal(err)
	}

	// Batch events
	if _, err := server.BatchTrigger(ctx, []lattestream.BatchEvent{
		{Channel: "user-123", Event: "notification", Data: map[string]any{"type": "message"}},
		{Channel: "user-456", Event: "notification", Data: map[string]any{"type": "mention"}},
	}); err != nil {
		log.Fatal(err)
	}

	// Authorize channel
	auth, err := server.AuthorizeChannel("123.456", "private-user-123", nil)
	if err != nil {
		log.Fatal(err)
	}

	// Authorize presence channel
	presenceAuth, err := server.AuthorizeChannel("123.456", "presence-room-1", &lattestream.PresenceData{
		UserID:   "user123",
		UserInfo: map[string]any{"name": "Alice", "avatar": "https://..."},
	})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = auth, presenceAuth
}
