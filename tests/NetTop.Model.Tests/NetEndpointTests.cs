using System.Net;
using CsCheck;
using NetTop.Model.Net;

namespace NetTop.Model.Tests;

public sealed class NetEndpointTests
{
    [Fact]
    public void Parses_and_prints_ipv4()
    {
        Assert.True(NetEndpoint.TryParse("127.0.0.1:8080", out NetEndpoint e));
        Assert.Equal(IpFamily.V4, e.Family);
        Assert.Equal((UInt128)0x7F00_0001u, e.Address);
        Assert.Equal(8080, e.Port);
        Assert.Equal("127.0.0.1:8080", e.ToString());
        Assert.Equal("127.0.0.1", e.AddressText);
        Assert.False(e.IsUnspecified);
        Assert.False(e.IsV4Mapped);
    }

    [Fact]
    public void Parses_and_prints_ipv6_loopback_in_brackets()
    {
        Assert.True(NetEndpoint.TryParse("[::1]:8080", out NetEndpoint e));
        Assert.Equal(IpFamily.V6, e.Family);
        Assert.Equal(UInt128.One, e.Address);
        Assert.Equal(8080, e.Port);
        Assert.Equal("[::1]:8080", e.ToString());
        Assert.Equal("::1", e.AddressText);
        Assert.False(e.IsUnspecified);
    }

    [Fact]
    public void Ipv6_wildcard_is_unspecified_and_prints_as_brackets()
    {
        Assert.True(NetEndpoint.TryParse("[::]:22", out NetEndpoint e));
        Assert.Equal(IpFamily.V6, e.Family);
        Assert.True(e.IsUnspecified);
        Assert.Equal("[::]:22", e.ToString());
    }

    [Theory]
    [InlineData("0.0.0.0:80", true)]
    [InlineData("[::]:80", true)]
    [InlineData("10.0.0.1:80", false)]
    [InlineData("[2001:db8::1]:80", false)]
    [InlineData("[::ffff:0.0.0.0]:80", false)]
    public void IsUnspecified_only_for_the_all_zero_address(string text, bool unspecified)
    {
        Assert.True(NetEndpoint.TryParse(text, out NetEndpoint e));
        Assert.Equal(unspecified, e.IsUnspecified);
    }

    [Fact]
    public void V4_mapped_unmaps_to_ipv4()
    {
        Assert.True(NetEndpoint.TryParse("[::ffff:10.1.2.3]:443", out NetEndpoint e));
        Assert.Equal(IpFamily.V6, e.Family);
        Assert.True(e.IsV4Mapped);
        NetEndpoint u = e.Unmapped;
        Assert.Equal(IpFamily.V4, u.Family);
        Assert.Equal(443, u.Port);
        Assert.Equal("10.1.2.3:443", u.ToString());
        Assert.Equal(Sockets.Ep("10.1.2.3:443"), u);
    }

    [Theory]
    [InlineData("10.1.2.3:443")]
    [InlineData("[::1]:443")]
    [InlineData("[2001:db8::ffff:a01:203]:443")]
    [InlineData("[::]:443")]
    public void Unmapped_of_anything_else_is_itself(string text)
    {
        NetEndpoint e = Sockets.Ep(text);
        Assert.False(e.IsV4Mapped);
        Assert.Equal(e, e.Unmapped);
    }

    [Fact]
    public void FromV4Bytes_and_FromV4_agree_with_parsing()
    {
        byte[] bytes = [192, 0, 2, 17];
        NetEndpoint fromBytes = NetEndpoint.FromV4Bytes(bytes, 53);
        Assert.Equal("192.0.2.17:53", fromBytes.ToString());
        Assert.Equal(Sockets.Ep("192.0.2.17:53"), fromBytes);
        // FromV4 takes the address as the kernel stores it: the network-order bytes read as a native uint.
        NetEndpoint fromUint = NetEndpoint.FromV4(BitConverter.ToUInt32(bytes), 53);
        Assert.Equal(fromBytes, fromUint);
    }

    [Fact]
    public void FromV6Bytes_agrees_with_parsing()
    {
        byte[] bytes = IPAddress.Parse("2001:db8:85a3::8a2e:370:7334").GetAddressBytes();
        NetEndpoint e = NetEndpoint.FromV6Bytes(bytes, 8443);
        Assert.Equal("[2001:db8:85a3::8a2e:370:7334]:8443", e.ToString());
        Assert.Equal(Sockets.Ep("[2001:db8:85a3::8a2e:370:7334]:8443"), e);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-address")]
    [InlineData("1.2.3.4:70000")]
    [InlineData("[::1]:-1")]
    public void TryParse_rejects_garbage(string text)
    {
        Assert.False(NetEndpoint.TryParse(text, out NetEndpoint e));
        Assert.Equal(default, e);
    }

    [Fact]
    public void V4_bytes_round_trip_through_text_and_IPAddress()
    {
        Gen.Select(Gen.Byte.Array[4], Gen.UShort).Sample((bytes, port) =>
        {
            NetEndpoint e = NetEndpoint.FromV4Bytes(bytes, port);
            Assert.Equal(IpFamily.V4, e.Family);
            Assert.True(e.Address <= uint.MaxValue);
            Assert.Equal(bytes, e.ToIPAddress().GetAddressBytes());
            Assert.Equal(new IPEndPoint(new IPAddress(bytes), port).ToString(), e.ToString());
            Assert.True(NetEndpoint.TryParse(e.ToString(), out NetEndpoint back));
            Assert.Equal(e, back);
            Assert.Equal(bytes.All(b => b == 0), e.IsUnspecified);
        });
    }

    [Fact]
    public void V6_bytes_round_trip_through_text_and_IPAddress()
    {
        Gen.Select(Gen.Byte.Array[16], Gen.UShort).Sample((bytes, port) =>
        {
            NetEndpoint e = NetEndpoint.FromV6Bytes(bytes, port);
            Assert.Equal(IpFamily.V6, e.Family);
            Assert.Equal(bytes, e.ToIPAddress().GetAddressBytes());
            Assert.True(NetEndpoint.TryParse(e.ToString(), out NetEndpoint back), e.ToString());
            Assert.Equal(e, back);
            Assert.Equal(NetEndpoint.FromIPEndPoint(new IPEndPoint(new IPAddress(bytes), port)), e);
        });
    }

    [Fact]
    public void Unmapping_random_v4_mapped_addresses_gives_the_embedded_ipv4()
    {
        Gen.Select(Gen.Byte.Array[4], Gen.UShort).Sample((v4, port) =>
        {
            IPAddress mapped = new IPAddress(v4).MapToIPv6();
            NetEndpoint e = NetEndpoint.FromV6Bytes(mapped.GetAddressBytes(), port);
            Assert.True(e.IsV4Mapped);
            Assert.Equal(NetEndpoint.FromV4Bytes(v4, port), e.Unmapped);
        });
    }
}
