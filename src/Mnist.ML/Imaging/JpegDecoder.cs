// JPEG decoder: baseline and progressive Huffman, any integer sampling (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1),
// grayscale, YCbCr and Adobe RGB, restart markers, EXIF orientation applied.
// Matches libjpeg's defaults so pixels agree with PIL to within a few levels: the accurate integer IDCT
// (jidctint.c "islow"), fancy (triangle) chroma upsampling (jdsample.c) and fixed-point YCbCr->RGB (jdcolor.c).
// Spec: ITU-T T.81.
using System.Buffers.Binary;

namespace Mnist.ML.Imaging;

internal static class JpegDecoder
{
    public static Image Decode(ReadOnlySpan<byte> data, ImageDecodeOptions options) => new JpegReader(data.ToArray(), options).Decode();
}

internal sealed class JpegReader
{
    // Zigzag position -> natural (row-major) index in the 8x8 block.
    private static readonly byte[] NaturalOrder =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    private sealed class Component
    {
        public int Id, H, V, Tq;
        public int BlocksPerLine, BlocksPerColumn;          // blocks that hold image samples
        public int BlocksPerLineMcu, BlocksPerColumnMcu;    // blocks including MCU padding (allocated)
        public int Width, Height;                           // samples of this component (downsampled size)
        public short[] Coeffs = [];                         // (BlocksPerColumnMcu, BlocksPerLineMcu, 64) natural order
        public HuffmanTable? Dc, Ac;
        public int Pred;
    }

    private sealed class HuffmanTable
    {
        public readonly ushort[] Lookup = new ushort[256]; // 8-bit prefix -> (length << 8 | symbol), 0 = longer code
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValOffset = new int[17];
        public byte[] Values = [];
    }

    private readonly byte[] _d;
    private readonly ImageDecodeOptions _options;
    private readonly int[][] _quant = new int[4][];
    private readonly HuffmanTable?[] _dcTables = new HuffmanTable?[4];
    private readonly HuffmanTable?[] _acTables = new HuffmanTable?[4];
    private Component[] _components = [];
    private int _width, _height, _hMax, _vMax, _mcusPerLine, _mcusPerColumn, _restartInterval;
    private bool _progressive, _frameSeen, _jfif;
    private int _adobeTransform = -1;
    private int _orientation = 1;

    // Entropy-coded data reader state.
    private int _pos;
    private ulong _bitBuffer;
    private int _bitCount;
    private bool _hitMarker;
    private int _zerosPastEnd;
    private int _eobRun;

    public JpegReader(byte[] data, ImageDecodeOptions options)
    {
        _d = data;
        _options = options;
    }

    public Image Decode()
    {
        _pos = 2; // after SOI
        bool scanned = false;
        while (true)
        {
            int marker = NextMarker();
            if (marker < 0)
            {
                if (scanned)
                {
                    break; // missing EOI after complete scans: libjpeg accepts it too
                }
                throw new ImageFormatException("JPEG is truncated: it ends before any image data.");
            }
            if (marker == 0xD9)
            {
                break; // EOI
            }
            if (marker is >= 0xD0 and <= 0xD7 or 0x01)
            {
                continue; // stray RSTn / TEM carry no length
            }
            int length = ReadSegmentLength();
            int start = _pos + 2, end = _pos + length;
            switch (marker)
            {
                case 0xC0 or 0xC1 or 0xC2:
                    ReadFrame(start, end, progressive: marker == 0xC2);
                    break;
                case 0xC3 or >= 0xC5 and <= 0xC7 or >= 0xC9 and <= 0xCB or >= 0xCD and <= 0xCF:
                    throw new UnsupportedImageException($"JPEG coding process SOF{marker - 0xC0} (lossless, hierarchical or arithmetic) is not supported. Re-save it as a baseline or progressive JPEG, or as PNG.");
                case 0xC4:
                    ReadHuffmanTables(start, end);
                    break;
                case 0xDB:
                    ReadQuantTables(start, end);
                    break;
                case 0xDD:
                    _restartInterval = BinaryPrimitives.ReadUInt16BigEndian(Segment(start, end, 2));
                    break;
                case 0xE0:
                    _jfif |= Segment(start, end, 0).StartsWith("JFIF\0"u8);
                    break;
                case 0xE1:
                    ReadExif(Segment(start, end, 0));
                    break;
                case 0xEE:
                    ReadAdobe(Segment(start, end, 0));
                    break;
                case 0xDA:
                    _pos = end;
                    ReadScan(start, end);
                    scanned = true;
                    continue;
                case 0xDC:
                    throw new UnsupportedImageException("JPEG uses a DNL marker (height defined after the data), which is not supported.");
                default:
                    break; // APPn, COM and friends: skipped
            }
            _pos = end;
        }
        if (!_frameSeen || !scanned)
        {
            throw new ImageFormatException("JPEG has no frame header or no scan: truncated or corrupt.");
        }
        return Orientation.Apply(Output(), _orientation);
    }

    // ---------------- markers and segments ----------------

    /// <summary>Skips to the next marker (0xFF followed by a marker code); returns -1 at the end of the data.</summary>
    private int NextMarker()
    {
        while (_pos < _d.Length - 1)
        {
            if (_d[_pos] == 0xFF && _d[_pos + 1] != 0x00 && _d[_pos + 1] != 0xFF)
            {
                int m = _d[_pos + 1];
                _pos += 2;
                return m;
            }
            _pos++;
        }
        return -1;
    }

    private int ReadSegmentLength()
    {
        if (_pos + 2 > _d.Length)
        {
            throw new ImageFormatException("JPEG is truncated inside a marker segment.");
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(_d.AsSpan(_pos));
        if (length < 2 || _pos + length > _d.Length)
        {
            throw new ImageFormatException($"JPEG marker segment at byte {_pos} claims {length} bytes: truncated or corrupt.");
        }
        return length;
    }

    private ReadOnlySpan<byte> Segment(int start, int end, int minLength)
    {
        if (end - start < minLength)
        {
            throw new ImageFormatException("JPEG marker segment is too short.");
        }
        return _d.AsSpan(start, end - start);
    }

    private void ReadFrame(int start, int end, bool progressive)
    {
        if (_frameSeen)
        {
            throw new UnsupportedImageException("JPEG has more than one frame (hierarchical), which is not supported.");
        }
        ReadOnlySpan<byte> s = Segment(start, end, 6);
        if (s[0] != 8)
        {
            throw new UnsupportedImageException($"JPEG with {s[0]}-bit samples is not supported; only 8-bit.");
        }
        _height = BinaryPrimitives.ReadUInt16BigEndian(s[1..]);
        _width = BinaryPrimitives.ReadUInt16BigEndian(s[3..]);
        if (_height == 0)
        {
            throw new UnsupportedImageException("JPEG with height 0 (height given by a later DNL marker) is not supported.");
        }
        Image.CheckSize(_width, _height, _options, "JPEG");
        int n = s[5];
        if (n is not (1 or 3))
        {
            throw new UnsupportedImageException(n == 4
                ? "CMYK/YCCK JPEG (4 components, typically from print workflows) is not supported. Save it as RGB JPEG or PNG."
                : $"JPEG with {n} components is not supported; only grayscale and colour (3 components).");
        }
        if (s.Length < 6 + 3 * n)
        {
            throw new ImageFormatException("JPEG frame header is too short for its components.");
        }
        _components = new Component[n];
        for (int i = 0; i < n; i++)
        {
            var c = new Component { Id = s[6 + i * 3], H = s[7 + i * 3] >> 4, V = s[7 + i * 3] & 15, Tq = s[8 + i * 3] };
            if (c.H is < 1 or > 4 || c.V is < 1 or > 4 || c.Tq > 3)
            {
                throw new ImageFormatException($"JPEG component {c.Id} has invalid sampling {c.H}x{c.V} or table {c.Tq}.");
            }
            _components[i] = c;
        }
        _hMax = _components.Max(c => c.H);
        _vMax = _components.Max(c => c.V);
        _mcusPerLine = (_width + 8 * _hMax - 1) / (8 * _hMax);
        _mcusPerColumn = (_height + 8 * _vMax - 1) / (8 * _vMax);
        foreach (Component c in _components)
        {
            if (_hMax % c.H != 0 || _vMax % c.V != 0)
            {
                throw new UnsupportedImageException($"JPEG sampling factors {c.H}x{c.V} of {_hMax}x{_vMax} are not an integer ratio; not supported.");
            }
            c.Width = (_width * c.H + _hMax - 1) / _hMax;
            c.Height = (_height * c.V + _vMax - 1) / _vMax;
            c.BlocksPerLine = (c.Width + 7) / 8;
            c.BlocksPerColumn = (c.Height + 7) / 8;
            c.BlocksPerLineMcu = _mcusPerLine * c.H;
            c.BlocksPerColumnMcu = _mcusPerColumn * c.V;
            c.Coeffs = new short[(long)c.BlocksPerLineMcu * c.BlocksPerColumnMcu * 64];
        }
        _progressive = progressive;
        _frameSeen = true;
    }

    private void ReadQuantTables(int start, int end)
    {
        int p = start;
        while (p < end)
        {
            int pq = _d[p] >> 4, tq = _d[p] & 15;
            int size = pq == 0 ? 64 : 128;
            if (tq > 3 || pq > 1 || p + 1 + size > end)
            {
                throw new ImageFormatException("JPEG quantisation table is invalid or truncated.");
            }
            var table = new int[64];
            for (int k = 0; k < 64; k++)
            {
                table[NaturalOrder[k]] = pq == 0 ? _d[p + 1 + k] : BinaryPrimitives.ReadUInt16BigEndian(_d.AsSpan(p + 1 + 2 * k));
            }
            _quant[tq] = table;
            p += 1 + size;
        }
    }

    private void ReadHuffmanTables(int start, int end)
    {
        int p = start;
        while (p < end)
        {
            if (p + 17 > end)
            {
                throw new ImageFormatException("JPEG Huffman table is truncated.");
            }
            int tc = _d[p] >> 4, th = _d[p] & 15;
            if (tc > 1 || th > 3)
            {
                throw new ImageFormatException($"JPEG Huffman table class {tc} id {th} is invalid.");
            }
            var counts = _d.AsSpan(p + 1, 16);
            int total = 0;
            foreach (byte b in counts)
            {
                total += b;
            }
            if (total > 256 || p + 17 + total > end)
            {
                throw new ImageFormatException("JPEG Huffman table is truncated or has too many codes.");
            }
            var t = new HuffmanTable { Values = _d.AsSpan(p + 17, total).ToArray() };
            int code = 0, k = 0;
            for (int len = 1; len <= 16; len++)
            {
                t.ValOffset[len] = k - code;
                int n = counts[len - 1];
                if (n > 0)
                {
                    for (int i = 0; i < n; i++, k++, code++)
                    {
                        if (code >= 1 << len)
                        {
                            throw new ImageFormatException("JPEG Huffman table has more codes than its lengths allow.");
                        }
                        if (len <= 8)
                        {
                            int first = code << (8 - len);
                            for (int fill = 0; fill < 1 << (8 - len); fill++)
                            {
                                t.Lookup[first | fill] = (ushort)((len << 8) | t.Values[k]);
                            }
                        }
                    }
                    t.MaxCode[len] = code - 1;
                }
                else
                {
                    t.MaxCode[len] = -1;
                }
                code <<= 1;
            }
            t.MaxCode[17] = int.MaxValue;
            (tc == 0 ? _dcTables : _acTables)[th] = t;
            p += 17 + total;
        }
    }

    private void ReadExif(ReadOnlySpan<byte> s)
    {
        if (s.StartsWith("Exif\0\0"u8))
        {
            _orientation = Orientation.FromTiff(s[6..]);
        }
    }

    private void ReadAdobe(ReadOnlySpan<byte> s)
    {
        if (s.StartsWith("Adobe"u8) && s.Length >= 12)
        {
            _adobeTransform = s[11];
        }
    }

    // ---------------- scans ----------------

    private void ReadScan(int start, int end)
    {
        if (!_frameSeen)
        {
            throw new ImageFormatException("JPEG scan comes before the frame header.");
        }
        ReadOnlySpan<byte> s = Segment(start, end, 1);
        int n = s[0];
        if (n < 1 || n > _components.Length || s.Length < 1 + 2 * n + 3)
        {
            throw new ImageFormatException("JPEG scan header is invalid.");
        }
        var scan = new Component[n];
        for (int i = 0; i < n; i++)
        {
            int id = s[1 + i * 2];
            Component c = _components.FirstOrDefault(c => c.Id == id)
                ?? throw new ImageFormatException($"JPEG scan refers to component {id}, which the frame does not have.");
            int td = s[2 + i * 2] >> 4, ta = s[2 + i * 2] & 15;
            if (td > 3 || ta > 3)
            {
                throw new ImageFormatException("JPEG scan selects a Huffman table id over 3.");
            }
            c.Dc = _dcTables[td];
            c.Ac = _acTables[ta];
            scan[i] = c;
        }
        int ss = s[1 + 2 * n], se = s[2 + 2 * n], ah = s[3 + 2 * n] >> 4, al = s[3 + 2 * n] & 15;
        if (_progressive)
        {
            bool valid = ss == 0 ? se == 0 : ss <= se && se <= 63 && n == 1;
            if (!valid || al > 13 || ah > 13)
            {
                throw new ImageFormatException($"JPEG progressive scan parameters Ss={ss} Se={se} Ah={ah} Al={al} are invalid.");
            }
        }
        else
        {
            ss = 0;
            se = 63;
            ah = al = 0;
        }
        foreach (Component c in scan)
        {
            bool needsDc = ss == 0 && ah == 0, needsAc = se > 0 || !_progressive;
            if ((needsDc && c.Dc == null) || (needsAc && c.Ac == null))
            {
                throw new ImageFormatException("JPEG scan uses a Huffman table that was never defined.");
            }
            c.Pred = 0;
        }

        _bitBuffer = 0;
        _bitCount = 0;
        _hitMarker = false;
        _zerosPastEnd = 0;
        _eobRun = 0;

        bool single = n == 1;
        Component c0 = scan[0];
        long total = single ? (long)c0.BlocksPerLine * c0.BlocksPerColumn : (long)_mcusPerLine * _mcusPerColumn;
        long mcu = 0;
        while (mcu < total)
        {
            long stop = _restartInterval > 0 ? Math.Min(total, mcu + _restartInterval) : total;
            for (; mcu < stop; mcu++)
            {
                if (single)
                {
                    int row = (int)(mcu / c0.BlocksPerLine), col = (int)(mcu % c0.BlocksPerLine);
                    DecodeBlock(c0, (row * c0.BlocksPerLineMcu + col) * 64, ss, se, ah, al);
                    continue;
                }
                int mcuRow = (int)(mcu / _mcusPerLine), mcuCol = (int)(mcu % _mcusPerLine);
                foreach (Component c in scan)
                {
                    for (int v = 0; v < c.V; v++)
                    {
                        for (int h = 0; h < c.H; h++)
                        {
                            int row = mcuRow * c.V + v, col = mcuCol * c.H + h;
                            DecodeBlock(c, (row * c.BlocksPerLineMcu + col) * 64, ss, se, ah, al);
                        }
                    }
                }
            }
            if (mcu < total)
            {
                Restart(scan);
            }
        }
        // The entropy reader never consumes a marker; NextMarker resumes right where the data stopped.
    }

    private void Restart(Component[] scan)
    {
        _bitBuffer = 0;
        _bitCount = 0;
        _hitMarker = false;
        _eobRun = 0;
        foreach (Component c in scan)
        {
            c.Pred = 0;
        }
        // Skip to the RSTn marker (fill bytes and any garbage before it); leave other markers alone.
        int p = _pos;
        while (p < _d.Length - 1)
        {
            if (_d[p] == 0xFF && _d[p + 1] != 0 && _d[p + 1] != 0xFF)
            {
                if (_d[p + 1] is >= 0xD0 and <= 0xD7)
                {
                    _pos = p + 2;
                }
                return;
            }
            p++;
        }
    }

    private void DecodeBlock(Component c, int offset, int ss, int se, int ah, int al)
    {
        Span<short> block = c.Coeffs.AsSpan(offset, 64);
        if (!_progressive)
        {
            DecodeBaseline(c, block);
        }
        else if (ss == 0)
        {
            if (ah == 0)
            {
                int t = DecodeHuffman(c.Dc!);
                c.Pred += t == 0 ? 0 : ReceiveExtend(CheckSize(t));
                block[0] = (short)(c.Pred << al);
            }
            else if (GetBits(1) != 0)
            {
                block[0] |= (short)(1 << al);
            }
        }
        else if (ah == 0)
        {
            DecodeAcFirst(c, block, ss, se, al);
        }
        else
        {
            DecodeAcRefine(c, block, ss, se, al);
        }
    }

    private void DecodeBaseline(Component c, Span<short> block)
    {
        int t = DecodeHuffman(c.Dc!);
        c.Pred += t == 0 ? 0 : ReceiveExtend(CheckSize(t));
        block[0] = (short)c.Pred;
        HuffmanTable ac = c.Ac!;
        for (int k = 1; k < 64;)
        {
            int rs = DecodeHuffman(ac);
            int s = rs & 15, r = rs >> 4;
            if (s == 0)
            {
                if (r != 15)
                {
                    break; // EOB
                }
                k += 16;
                continue;
            }
            k += r;
            if (k > 63)
            {
                break; // corrupt run past the block: libjpeg also stops here
            }
            block[NaturalOrder[k]] = (short)ReceiveExtend(s);
            k++;
        }
    }

    private void DecodeAcFirst(Component c, Span<short> block, int ss, int se, int al)
    {
        if (_eobRun > 0)
        {
            _eobRun--;
            return;
        }
        HuffmanTable ac = c.Ac!;
        for (int k = ss; k <= se;)
        {
            int rs = DecodeHuffman(ac);
            int s = rs & 15, r = rs >> 4;
            if (s == 0)
            {
                if (r < 15)
                {
                    _eobRun = (1 << r) - 1 + (r > 0 ? GetBits(r) : 0);
                    break;
                }
                k += 16;
                continue;
            }
            k += r;
            if (k > 63)
            {
                break;
            }
            block[NaturalOrder[k]] = (short)(ReceiveExtend(s) * (1 << al));
            k++;
        }
    }

    /// <summary>Successive approximation of AC coefficients: libjpeg's decode_mcu_AC_refine, step for step.</summary>
    private void DecodeAcRefine(Component c, Span<short> block, int ss, int se, int al)
    {
        int p1 = 1 << al, m1 = -1 << al;
        int k = ss;
        if (_eobRun == 0)
        {
            HuffmanTable ac = c.Ac!;
            for (; k <= se; k++)
            {
                int rs = DecodeHuffman(ac);
                int r = rs >> 4, s = rs & 15;
                if (s != 0)
                {
                    s = GetBits(1) != 0 ? p1 : m1; // s must be 1 in a valid file; its sign bit follows
                }
                else if (r != 15)
                {
                    _eobRun = (1 << r) + (r > 0 ? GetBits(r) : 0);
                    break;
                }
                // Skip r zero coefficients (refining the non-zero ones met on the way), then place the new one.
                do
                {
                    int z = NaturalOrder[k];
                    if (block[z] != 0)
                    {
                        RefineBit(block, z, p1, m1);
                    }
                    else if (--r < 0)
                    {
                        break;
                    }
                    k++;
                }
                while (k <= se);
                if (s != 0 && k <= 63)
                {
                    block[NaturalOrder[k]] = (short)s;
                }
            }
        }
        if (_eobRun > 0)
        {
            for (; k <= se; k++)
            {
                int z = NaturalOrder[k];
                if (block[z] != 0)
                {
                    RefineBit(block, z, p1, m1);
                }
            }
            _eobRun--;
        }
    }

    private void RefineBit(Span<short> block, int z, int p1, int m1)
    {
        if (GetBits(1) != 0 && (block[z] & p1) == 0)
        {
            block[z] = (short)(block[z] + (block[z] >= 0 ? p1 : m1));
        }
    }

    private static int CheckSize(int t) =>
        t <= 16 ? t : throw new ImageFormatException($"JPEG DC difference of {t} bits is impossible: corrupt data.");

    // ---------------- entropy-coded bits ----------------

    /// <summary>
    /// Tops the bit buffer up to at least 57 bits. Stuffed 0xFF00 becomes 0xFF; at a marker (or the end of
    /// the data) zeros are fed without consuming it, as libjpeg does, so corrupt data can never run past the buffer.
    /// </summary>
    private void Fill()
    {
        while (_bitCount <= 56)
        {
            int b = 0;
            if (!_hitMarker)
            {
                if (_pos >= _d.Length)
                {
                    // Valid files end with a marker; running many bytes past the end means the file was cut.
                    if (++_zerosPastEnd > 64)
                    {
                        throw new ImageFormatException("JPEG is truncated: the image data ends early.");
                    }
                }
                else if (_d[_pos] != 0xFF)
                {
                    b = _d[_pos++];
                }
                else if (_pos + 1 < _d.Length && _d[_pos + 1] == 0)
                {
                    b = 0xFF;
                    _pos += 2;
                }
                else if (_pos + 1 >= _d.Length)
                {
                    _pos++;
                }
                else
                {
                    _hitMarker = true;
                }
            }
            _bitBuffer |= (ulong)b << (56 - _bitCount);
            _bitCount += 8;
        }
    }

    private int GetBits(int n)
    {
        if (_bitCount < n)
        {
            Fill();
        }
        int v = (int)(_bitBuffer >> (64 - n));
        _bitBuffer <<= n;
        _bitCount -= n;
        return v;
    }

    private int ReceiveExtend(int s)
    {
        if (s == 0)
        {
            return 0;
        }
        int v = GetBits(s);
        return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
    }

    private int DecodeHuffman(HuffmanTable t)
    {
        if (_bitCount < 16)
        {
            Fill();
        }
        int entry = t.Lookup[(int)(_bitBuffer >> 56)];
        if (entry != 0)
        {
            int len = entry >> 8;
            _bitBuffer <<= len;
            _bitCount -= len;
            return entry & 0xFF;
        }
        for (int len = 9; len <= 16; len++)
        {
            int code = (int)(_bitBuffer >> (64 - len));
            if (code <= t.MaxCode[len])
            {
                _bitBuffer <<= len;
                _bitCount -= len;
                int index = t.ValOffset[len] + code;
                return (uint)index < (uint)t.Values.Length ? t.Values[index] : throw new ImageFormatException("JPEG Huffman code is out of its table: corrupt data.");
            }
        }
        throw new ImageFormatException("JPEG contains an invalid Huffman code: corrupt data.");
    }

    // ---------------- reconstruction ----------------

    private Image Output()
    {
        var planes = new byte[_components.Length][];
        for (int i = 0; i < _components.Length; i++)
        {
            Component c = _components[i];
            int[] q = _quant[c.Tq] ?? throw new ImageFormatException($"JPEG component {c.Id} uses quantisation table {c.Tq}, which was never defined.");
            int stride = c.BlocksPerLineMcu * 8;
            var plane = new byte[(long)stride * c.BlocksPerColumnMcu * 8];
            // Only blocks that hold image samples are transformed; padding blocks are never shown.
            for (int by = 0; by < c.BlocksPerColumn; by++)
            {
                for (int bx = 0; bx < c.BlocksPerLine; bx++)
                {
                    int offset = (by * c.BlocksPerLineMcu + bx) * 64;
                    JpegIdct.Islow(c.Coeffs.AsSpan(offset, 64), q, plane.AsSpan(by * 8 * stride + bx * 8), stride);
                }
            }
            planes[i] = Upsample(plane, stride, c.Width, c.Height, _hMax / c.H, _vMax / c.V);
            c.Coeffs = []; // release before the RGBA buffer is allocated
        }

        var image = Image.Allocate(_width, _height, _options, "JPEG");
        byte[] rgba = image.Rgba;
        int count = _width * _height;
        if (planes.Length == 1)
        {
            byte[] y = planes[0];
            for (int i = 0; i < count; i++)
            {
                rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = y[i];
                rgba[i * 4 + 3] = 255;
            }
            return image;
        }
        // libjpeg: Adobe transform 0 means RGB; without JFIF/Adobe, component ids 'R','G','B' mean RGB too.
        bool rgb = _adobeTransform == 0 || (!_jfif && _adobeTransform < 0 && _components[0].Id == 'R' && _components[1].Id == 'G' && _components[2].Id == 'B');
        byte[] p0 = planes[0], p1 = planes[1], p2 = planes[2];
        for (int i = 0; i < count; i++)
        {
            int o = i * 4;
            if (rgb)
            {
                rgba[o] = p0[i];
                rgba[o + 1] = p1[i];
                rgba[o + 2] = p2[i];
            }
            else
            {
                // jdcolor.c fixed point, 16 fractional bits: R = Y + 1.402 Cr, G = Y - 0.34414 Cb - 0.71414 Cr, B = Y + 1.772 Cb.
                int y = p0[i], cb = p1[i] - 128, cr = p2[i] - 128;
                rgba[o] = Clamp(y + ((91881 * cr + 32768) >> 16));
                rgba[o + 1] = Clamp(y + ((-22554 * cb - 46802 * cr + 32768) >> 16));
                rgba[o + 2] = Clamp(y + ((116130 * cb + 32768) >> 16));
            }
            rgba[o + 3] = 255;
        }
        return image;
    }

    private static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);

    /// <summary>
    /// Upsamples a component plane to the full image: libjpeg's fancy (triangle) filters for 2x1, 1x2 and 2x2,
    /// sample replication for other ratios. Edges repeat the last real sample, as libjpeg's context rows do.
    /// </summary>
    private byte[] Upsample(byte[] plane, int stride, int cw, int ch, int rh, int rv)
    {
        int w = _width, h = _height;
        var output = new byte[(long)w * h];
        if (rh == 2 && rv <= 2 || rh == 1 && rv == 2)
        {
            var colSum = new int[cw];
            for (int y = 0; y < h; y++)
            {
                int inRow = y / rv;
                // Vertical triangle: 3/4 this row + 1/4 the nearer neighbour row (scaled by 4 into colSum).
                if (rv == 2)
                {
                    int neighbour = Math.Clamp(y % 2 == 0 ? inRow - 1 : inRow + 1, 0, ch - 1);
                    for (int x = 0; x < cw; x++)
                    {
                        colSum[x] = 3 * plane[inRow * stride + x] + plane[neighbour * stride + x];
                    }
                }
                else
                {
                    for (int x = 0; x < cw; x++)
                    {
                        colSum[x] = 4 * plane[inRow * stride + x];
                    }
                }
                Span<byte> outRow = output.AsSpan(y * w, w);
                if (rh == 1)
                {
                    // h1v2: (3a + b + 1 or 2) >> 2, bias 1 for the upper output row, 2 for the lower.
                    int bias = y % 2 == 0 ? 1 : 2;
                    for (int x = 0; x < w; x++)
                    {
                        outRow[x] = (byte)((colSum[x] + bias) >> 2);
                    }
                    continue;
                }
                // Horizontal triangle; rounding biases 8/7 (2x2) or 2/1 after the >>2 scale (2x1) match jdsample.c.
                for (int x = 0; x < w; x++)
                {
                    int sx = x >> 1;
                    int near = x % 2 == 0 ? Math.Max(sx - 1, 0) : Math.Min(sx + 1, cw - 1);
                    int v = 3 * colSum[sx] + colSum[near];
                    outRow[x] = rv == 2
                        ? (byte)((v + (x % 2 == 0 ? 8 : 7)) >> 4)
                        : (byte)((v / 4 + (x % 2 == 0 ? 1 : 2)) >> 2);
                }
            }
            return output;
        }
        for (int y = 0; y < h; y++)
        {
            int rowStart = y / rv * stride;
            for (int x = 0; x < w; x++)
            {
                output[y * w + x] = plane[rowStart + x / rh];
            }
        }
        return output;
    }
}
