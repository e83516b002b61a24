package lattestream

import (
	"context"
	"reflect"
	"testing"
	"time"
)

var ctx = context.Background()

func TestTriggerSendsChannelsAsAnArrayDataAsGivenAndTheSocketToExclude(t *testing.T) {
	f := newFake(t, reply{Status: 200, Body: `{"channels":["a","b"],"event":"e","triggered":3}`})
	var waits []time.Duration
	got, err := f.client(&waits).Trigger(ctx, []string{"a", "b"}, "e", map[string]int{"n": 1}, ExcludeSocket("1.2"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &TriggerResult{Channels: []string{"a", "b"}, Event: "e", Triggered: 3}) {
		t.Errorf("result %+v", got)
	}
	req := f.last()
	if req.Method != "POST" || req.Target != "/events" || !req.SignatureValid {
		t.Errorf("request %+v", req)
	}
	want := jsonOf(t, `{"channels":["a","b"],"event":"e","data":{"n":1},"socket_id":"1.2"}`)
	if !reflect.DeepEqual(jsonOf(t, req.Body), want) {
		t.Errorf("body %s", req.Body)
	}
	if req.Header.Get("Authorization") != "Bearer "+testKey || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", req.Header)
	}
}

func TestAStringPayloadPassesUnchangedAndNoChannelIsRefused(t *testing.T) {
	f := newFake(t)
	var waits []time.Duration
	if _, err := f.client(&waits).Trigger(ctx, []string{"chat"}, "e", "plain text"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(jsonOf(t, f.last().Body), jsonOf(t, `{"channels":["chat"],"event":"e","data":"plain text"}`)) {
		t.Errorf("body %s", f.last().Body)
	}
	if _, err := f.client(&waits).Trigger(ctx, nil, "e", nil); Code(err) != CodeMissingParameter {
		t.Errorf("got %v", err)
	}
}

func TestBatchTriggerSendsOneEntryPerEventAndKeepsTheBatchID(t *testing.T) {
	f := newFake(t, reply{Status: 200, Body: `{"batch_id":1674123456789123456,"total_events":2,"total_triggered":2}`})
	var waits []time.Duration
	got, err := f.client(&waits).BatchTrigger(ctx, []BatchEvent{
		{Channel: "user-123", Event: "notification", Data: map[string]string{"type": "message"}},
		{Channel: "user-456", Event: "notification", Data: 1, SocketID: "9.9"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *got != (BatchResult{BatchID: 1674123456789123456, TotalEvents: 2, TotalTriggered: 2}) {
		t.Errorf("result %+v", got)
	}
	want := jsonOf(t, `{"batch":[{"channel":"user-123","name":"notification","data":{"type":"message"}},
		{"channel":"user-456","name":"notification","data":1,"socket_id":"9.9"}]}`)
	if !reflect.DeepEqual(jsonOf(t, f.last().Body), want) || !f.last().SignatureValid {
		t.Errorf("body %s", f.last().Body)
	}
	if _, err := f.client(&waits).BatchTrigger(ctx, []BatchEvent{{Channel: "a"}}); Code(err) != CodeMissingParameter {
		t.Errorf("got %v", err)
	}
}

func TestCreateAccessTokenPostsTheUserAsSocketID(t *testing.T) {
	f := newFake(t, reply{Status: 200, Body: `{"access_token":"eyJ.x.y","token_type":"Bearer","expires_in":60,"tenant_id":"1"}`})
	var waits []time.Duration
	got, err := f.client(&waits).CreateAccessToken(ctx, "user_123", AccessTokenOptions{Permissions: []string{"read"}, ExpiresIn: 60})
	if err != nil || *got != (AccessToken{"eyJ.x.y", "Bearer", 60, "1"}) {
		t.Fatalf("%+v %v", got, err)
	}
	if f.last().Target != "/apps/token" ||
		!reflect.DeepEqual(jsonOf(t, f.last().Body), jsonOf(t, `{"socket_id":"user_123","permissions":["read"],"expires_in":60}`)) {
		t.Errorf("request %+v", f.last())
	}
}

func TestChannelQueriesEncodeNamesSignPathAndQueryAndReadTheFields(t *testing.T) {
	f := newFake(t,
		reply{Status: 200, Body: `{"channels":[{"channel":"presence-a","member_count":1,"members":[{"user_id":"u","user_info":null,"socket_id":"1.2"}]}],"total_channels":1}`},
		reply{Status: 200, Body: `{"channel":"a;b","occupied":true,"member_count":2,"subscription_count":2}`},
		reply{Status: 200, Body: `{"users":[{"id":"u1","user_info":{"name":"A"}},{"id":"u2"}]}`},
	)
	var waits []time.Duration
	s := f.client(&waits)
	list, err := s.GetChannels(ctx, "presence-")
	if err != nil || f.last().Target != "/channels?filter_by_prefix=presence-" || !f.last().SignatureValid || f.last().Body != "" {
		t.Fatalf("%+v %v", f.last(), err)
	}
	if list.TotalChannels != 1 || list.Channels[0].Members[0] != (Member{UserID: "u", SocketID: "1.2"}) {
		t.Errorf("list %+v", list)
	}
	info, err := s.GetChannelInfo(ctx, "a;b")
	if err != nil || f.last().Target != "/channels/a%3Bb" || !f.last().SignatureValid {
		t.Fatalf("%+v %v", f.last(), err)
	}
	if !info.Occupied || info.MemberCount != 2 || *info.SubscriptionCount != 2 || info.UserCount != nil {
		t.Errorf("info %+v", info)
	}
	users, err := s.GetUsers(ctx, "presence-a")
	if err != nil || f.last().Target != "/channels/presence-a/users" {
		t.Fatalf("%+v %v", f.last(), err)
	}
	if len(users.Users) != 2 || users.Users[0].ID != "u1" || users.Users[1].UserInfo != nil {
		t.Errorf("users %+v", users)
	}
}

func TestTerminateUserConnectionsPostsToTheEncodedUserPath(t *testing.T) {
	f := newFake(t, reply{Status: 200, Body: `{"terminated":2}`})
	var waits []time.Duration
	n, err := f.client(&waits).TerminateUserConnections(ctx, "user/1")
	if err != nil || n != 2 || f.last().Target != "/users/user%2F1/terminate_connections" || !f.last().SignatureValid {
		t.Fatalf("%d %v %+v", n, err, f.last())
	}
	if _, err := f.client(&waits).TerminateUserConnections(ctx, ""); Code(err) != CodeMissingParameter {
		t.Errorf("got %v", err)
	}
}
